"""Root conftest. The nestgate plugin itself loads through its pytest11 entry point
(so `--target-config PATH` is known before pytest picks its root directory)."""
