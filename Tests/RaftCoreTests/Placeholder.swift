import Testing
@testable import RaftCore
