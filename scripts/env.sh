# Sourced by the scripts: one build folder outside the checkout, kept between
# runs so that incremental builds stay fast.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/liftoff-target}"
export PATH="$HOME/.cargo/bin:$PATH"
# Without a GPU, WebKitGTK's DMABUF renderer halves the frame rate.
export WEBKIT_DISABLE_DMABUF_RENDERER="${WEBKIT_DISABLE_DMABUF_RENDERER:-1}"
