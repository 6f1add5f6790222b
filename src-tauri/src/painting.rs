//! How WebKit paints the page: on the CPU (Skia's raster back end), not through GL. WebKitGTK
//! 2.50 paints with GL by default; on a machine without a GPU (a VM, a remote desktop, Xvfb)
//! that GL is Mesa's software rasterizer, whose threads then took more CPU than the rest of the
//! web process together and held about 75 MiB more (docs/benchmarks.md, "How WebKit paints").
//! Compositing stays on: only the painting of each tile moves to the CPU.

/// WebKitGTK's switch for painting on the CPU, read by its web process when it starts.
const CPU_RENDERING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// Asks WebKit to paint on the CPU, unless the user's environment already says how (`0` keeps
/// GL painting). Runs first in `main`: the environment is changed in place, which is sound only
/// while no other thread can read it.
pub fn paint_on_the_cpu() {
    if std::env::var_os(CPU_RENDERING).is_none()
        && let Err(error) = glib::setenv(CPU_RENDERING, "1", false)
    {
        eprintln!("warning: WebKit paints through GL: {error}");
    }
}
