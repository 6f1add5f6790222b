//! Text measured as the window draws it (a canvas with the cell's font), so a cell's text is
//! cut only when it really does not fit, and then in the middle.

use std::cell::RefCell;

use wasm_bindgen::JsCast as _;
use web_sys::CanvasRenderingContext2d;

use crate::state::columns::{fit, fit_apart};

thread_local! {
    /// One canvas context for every measurement.
    static CONTEXT: RefCell<Option<CanvasRenderingContext2d>> = const { RefCell::new(None) };
}

fn context() -> Option<CanvasRenderingContext2d> {
    CONTEXT.with(|cell| {
        if cell.borrow().is_none() {
            let canvas = web_sys::window()?.document()?.create_element("canvas").ok()?;
            let canvas: web_sys::HtmlCanvasElement = canvas.dyn_into().ok()?;
            *cell.borrow_mut() = canvas.get_context("2d").ok()??.dyn_into().ok();
        }
        cell.borrow().clone()
    })
}

/// How wide `text` is in `font` (a CSS font shorthand), in pixels; `None` without a canvas.
fn width(text: &str, font: &str) -> Option<f64> {
    let context = context()?;
    context.set_font(font);
    context.measure_text(text).ok().map(|m| m.width())
}

/// `text` as it fits `room` pixels in `font`: whole when it fits; else cut where the texts
/// around it share their start (`prefix` characters) or end (`suffix`), keeping what tells it
/// apart; else with its middle cut (start and end kept) to the longest that fits.
pub fn fit_width(text: &str, room: f64, font: &str, (prefix, suffix): (usize, usize)) -> String {
    let fits = |candidate: &str| width(candidate, font).is_some_and(|w| w <= room);
    match width(text, font) {
        None => text.to_owned(),
        Some(full) if full <= room => text.to_owned(),
        Some(_)
            if prefix + suffix > 0
                && let Some(apart) = fit_apart(text, prefix, suffix, fits) =>
        {
            apart
        }
        Some(_) => {
            let (mut low, mut high) = (3, text.chars().count());
            while low < high {
                let middle = (low + high).div_ceil(2);
                if width(&fit(text, middle), font).is_some_and(|w| w <= room) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            fit(text, low)
        }
    }
}
