print("raftbench: benchmarks arrive with the core")
