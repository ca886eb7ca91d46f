import RaftCore
public enum RaftStoragePlaceholder {}
