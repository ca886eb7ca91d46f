public enum RaftStepCLIPlaceholder {}
