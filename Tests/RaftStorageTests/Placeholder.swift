import Testing
@testable import RaftStorage
