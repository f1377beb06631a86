"""The cheap text test run before anything is parsed; kept free of heavy imports on purpose."""

NEEDLE = "azureml"


def mentions_azureml(data: bytes | str) -> bool:
    return (NEEDLE.encode() if isinstance(data, bytes) else NEEDLE) in data
