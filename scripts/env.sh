# Shared settings for the scripts in this folder; source it, do not run it.
# Build caches live outside the checkout so that fresh clones (and CI) reuse them.
export TENANTRY_CACHE="${TENANTRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$TENANTRY_CACHE/target}"
# A Go toolchain fetched by setup (when the machine has none new enough) comes first.
export PATH="$TENANTRY_CACHE/go/bin:$HOME/.cargo/bin:/usr/local/go/bin:$PATH"
# Trunk must never download tools: it uses the wasm-bindgen-cli that setup installs.
export TRUNK_OFFLINE=true
