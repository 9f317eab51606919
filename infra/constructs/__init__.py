"""CDK constructs of the OMS stack, one module per concern: tables, functions, API."""
