//! Counts of clusters per state, above the table.

use tenantry_model::ClusterRow;
use yew::prelude::*;

use crate::state::clusters::counts;

/// Properties of [`Summary`].
#[derive(Properties, PartialEq)]
pub struct SummaryProps {
    /// All rows.
    pub rows: Vec<ClusterRow>,
}

/// Three tiles: reachable, with problems, still checking.
#[function_component(Summary)]
pub fn summary(props: &SummaryProps) -> Html {
    let (reachable, failed, probing) = counts(&props.rows);
    let tile = |class: &str, count: usize, label: &str| {
        html! { <div class={classes!("tile", class.to_owned())}><span class="count">{ count }</span><span class="label">{ label.to_owned() }</span></div> }
    };
    html! {
        <section class="summary" aria-label="Cluster counts">
            { tile("tile-ok", reachable, "reachable") }
            { tile("tile-bad", failed, "with problems") }
            { tile("tile-wait", probing, "checking") }
        </section>
    }
}
