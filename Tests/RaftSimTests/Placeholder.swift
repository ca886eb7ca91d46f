import Testing
@testable import RaftSim
