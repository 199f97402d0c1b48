"""The validating loaders of the administrators' files under `deployments/`: notification
routing and the sweep policy (`notifications.py`), teams and meeting series (`teams.py`)."""
