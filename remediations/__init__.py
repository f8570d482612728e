"""Remediations: one module each, a registry by id, and the one boto3 client factory (aws.py).

Nothing else in iambot calls a mutating AWS API.
"""
