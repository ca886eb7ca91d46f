import RaftStepCLI
print("raftstep: the REPL arrives with RaftSim")
