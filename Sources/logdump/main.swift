print("logdump: arrives with RaftStorage")
