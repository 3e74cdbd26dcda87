"""Microcontroller tooling: build the C firmware for a board (firmware_builder),
read its size (size), run it in QEMU (qemu) or Renode (renode, renode_metrics,
renode_tests), and flash a real board (flash)."""
