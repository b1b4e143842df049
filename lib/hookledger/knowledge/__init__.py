"""What things mean, with no policy: what a Bash command writes, what an error is, what a brief
says, what a transcript holds, what a project's checks are. Stdlib only (handlers use it).
Imports only itself, `hotpath` and `store`.
"""
