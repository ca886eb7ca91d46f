import RaftCore
import RaftStorage
public enum RaftSimPlaceholder {}
