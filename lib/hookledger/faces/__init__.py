"""What people use: the CLI and its commands, inspection queries, the report, doctor, install,
the demo. The top layer: may import any other.
"""
