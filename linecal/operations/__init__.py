"""Operator work on a running stack: migrations, replays, dead-letter queues.

The modules here take ports (Protocols) or the boto3 clients a `linecal.target.StackTarget`
gives, so the same code runs against the local stack and AWS; the CLI modules only wire
them to options, progress bars and exit codes.
"""
