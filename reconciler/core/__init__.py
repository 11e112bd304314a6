"""The vocabulary and the pure rules of hrsync: no adapter, no git, no HTTP, no file I/O."""
