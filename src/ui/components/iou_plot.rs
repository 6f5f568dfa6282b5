//! The IoU curve: IoU against the threshold over the score's range, over the score histogram
//! (object and background as the ground truth has them), the current cut and the best one.
//! Clicking or dragging on the plot cuts there; "Use best" cuts at the best threshold.
//!
//! Test hooks: `#iou-curve` with `data-best-threshold`, `data-best-iou`, `data-lo`, `data-hi`
//! and `data-points`; `#use-best`; `#curve-png`, `#curve-json`.

use crate::session::iou_plot::{HEIGHT, WIDTH, bars, best_point, curve_path, threshold_at, x_of};
use crate::ui::actions::export;
use crate::ui::ctx::ctx;
use leptos::prelude::*;
use leptos::svg::Svg;
use web_sys::PointerEvent;

/// The plot (shown once a segmentation has a fitting ground truth).
#[component]
pub fn IouPlot() -> impl IntoView {
    let ctx = ctx();
    let (settings, seg) = (ctx.ui.settings, ctx.out.seg);
    let svg = NodeRef::<Svg>::new();
    let dragging = StoredValue::new(false);
    let curve = move || seg.with(|s| s.as_ref().and_then(|s| s.curve.clone()));
    let range = move || seg.with(|s| s.as_ref().map(|s| (s.histogram.lo, s.histogram.hi)));
    // Pointer x → threshold, cut exactly there.
    let cut_at = move |ev: &PointerEvent| {
        let (Some(el), Some((lo, hi))) = (svg.get_untracked(), range()) else {
            return;
        };
        let r = el.get_bounding_client_rect();
        if r.width() > 0.0 {
            let t = threshold_at((f64::from(ev.client_x()) - r.left()) / r.width(), lo, hi);
            settings.update(|s| s.set_fixed(t));
        }
    };
    view! {
        <div class="iou-plot" hidden=move || curve().is_none()>
            <svg
                id="iou-curve"
                node_ref=svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label="IoU against the threshold, over the histogram of the scores; click to cut there"
                data-best-threshold=move || curve().map(|c| format!("{:.9}", c.best().0))
                data-best-iou=move || curve().map(|c| format!("{:.6}", c.best().1))
                data-points=move || curve().map(|c| c.ious.len().to_string())
                data-lo=move || range().map(|r| format!("{:.6}", r.0))
                data-hi=move || range().map(|r| format!("{:.6}", r.1))
                on:pointerdown=move |ev: PointerEvent| {
                    ev.prevent_default();
                    dragging.set_value(true);
                    if let Some(el) = svg.get_untracked() {
                        let _ = el.set_pointer_capture(ev.pointer_id());
                    }
                    cut_at(&ev);
                }
                on:pointermove=move |ev: PointerEvent| {
                    if dragging.get_value() {
                        cut_at(&ev);
                    }
                }
                on:pointerup=move |_| dragging.set_value(false)
                on:pointercancel=move |_| dragging.set_value(false)
            >
                {move || {
                    seg.with(|s| {
                        let Some(s) = s else { return Vec::new() };
                        let [fg, bg] = bars(&s.histogram);
                        let rect = |b: crate::session::iou_plot::Bar, class: &'static str| {
                            view! {
                                <rect
                                    class=class
                                    x=format!("{:.2}", b.x)
                                    y=format!("{:.2}", b.y)
                                    width=format!("{:.2}", b.width)
                                    height=format!("{:.2}", b.height)
                                ></rect>
                            }
                        };
                        bg.into_iter()
                            .map(|b| rect(b, "hist-bg"))
                            .chain(fg.into_iter().map(|b| rect(b, "hist-fg")))
                            .collect()
                    })
                }}
                <path class="curve" d=move || curve().map(|c| curve_path(&c)).unwrap_or_default()></path>
                {move || {
                    seg.with(|s| {
                        let s = s.as_ref()?;
                        let x = x_of(s.cut, s.histogram.lo, s.histogram.hi);
                        Some(view! {
                            <line class="cut" x1=format!("{x:.1}") x2=format!("{x:.1}") y1="0" y2=HEIGHT.to_string()></line>
                        })
                    })
                }}
                {move || {
                    curve()
                        .map(|c| {
                            let (x, y) = best_point(&c);
                            view! { <circle class="best" cx=format!("{x:.1}") cy=format!("{y:.1}") r="3"></circle> }
                        })
                }}
            </svg>
            <span class="muted">
                {move || {
                    seg.with(|s| {
                        let s = s.as_ref()?;
                        let (t, best) = s.curve.as_ref()?.best();
                        let now = s.iou.map(|i| format!("cut {:.3} → IoU {i:.3} · ", s.cut)).unwrap_or_default();
                        Some(format!("{now}best cut {t:.3} → IoU {best:.3}"))
                    })
                }}
            </span>
            <button
                type="button"
                class="small"
                id="use-best"
                on:click=move |_| {
                    if let Some(c) = curve() {
                        let (t, _) = c.best();
                        settings.update(|s| s.set_fixed(t));
                    }
                }
            >
                "Use best"
            </button>
            <button type="button" class="small" id="curve-png" on:click=move |_| export::curve_png(ctx)>
                "PNG"
            </button>
            <button type="button" class="small" id="curve-json" on:click=move |_| export::view_json(ctx)>
                "JSON"
            </button>
        </div>
    }
}
