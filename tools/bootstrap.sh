#!/usr/bin/env bash
# Installs what edgesim needs, idempotently: Debian packages (when root and
# missing), a virtualenv in .venv, and the package itself in editable mode
# (which compiles the C kernels).  Usage: tools/bootstrap.sh [dev|live]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-dev}

apt_packages=(libportaudio2)
if [ "$profile" = dev ]; then
  # Cross compiler + newlib for the firmware, QEMU for the emulator target,
  # clang for libFuzzer targets, espeak-ng/sox to synthesize speech in tests,
  # tmux to check the terminal display, chromium for the --ui browser tests (never downloaded by Playwright),
  # pulseaudio + its ALSA plugin to pace the test microphone at real time.
  apt_packages+=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm clang libclang-rt-14-dev espeak-ng sox
                 tmux chromium pulseaudio libasound2-plugins)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: please install these Debian packages first: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[$profile]"
if [ "$profile" = dev ]; then
  # Keras 2, whose LSTM converts to a fused UNIDIRECTIONAL_SEQUENCE_LSTM (tests/test_ops_lstm.py).
  # tf-keras requires the 'tensorflow' distribution, which would pull a second, full TensorFlow
  # beside tensorflow-cpu (the same module): take it without dependencies, matched to TF's version.
  tf_minor=$(.venv/bin/python -c "import importlib.metadata as m; print('.'.join(m.version('tensorflow-cpu').split('.')[:2]))")
  .venv/bin/python -m pip install -q --no-deps "tf-keras~=$tf_minor.0"
fi
