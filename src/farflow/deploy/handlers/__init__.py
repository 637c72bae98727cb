"""Lambda handlers of the stack's custom resources: standard library and boto3 only (the Lambda runtime's)."""
