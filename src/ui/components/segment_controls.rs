//! Segmentation mode: the object on the left (painted cells or a loaded mask), the threshold rule
//! and recipe, the ground truth of the right image and the IoU against it.
//!
//! Test hooks: `#left-mask-file`, `#right-mask-file` (mask inputs), `#clear-left`, `#class`
//! (object class), `#rule`, `#cut`, `#method`, and `#iou` whose `data-iou` is the foreground IoU (absent until
//! both a prediction and a fitting ground truth exist), with the `data-rule` and `data-method`
//! it was computed with.

use super::file_picker::FilePicker;
use super::iou_plot::IouPlot;
use crate::masks::VOC_CLASSES;
use crate::oneshot::Method;
use crate::segment::Threshold;
use crate::session::image::classes;
use crate::session::mode::Mode;
use crate::session::paint::Brush;
use crate::session::side::Side;
use crate::session::threshold::{RULES, from_rule, rule_label, rule_name};
use crate::ui::actions::export;
use crate::ui::actions::masks::{clear_support, load_mask_file};
use crate::ui::ctx::ctx;
use leptos::prelude::*;

fn class_name(c: u8) -> String {
    VOC_CLASSES
        .get(usize::from(c))
        .map_or_else(|| format!("class {c}"), |n| format!("{c} · {n}"))
}

/// The segmentation controls (shown in segmentation mode).
#[component]
pub fn SegmentControls() -> impl IntoView {
    let ctx = ctx();
    let (ui, out) = (ctx.ui, ctx.out);
    let settings = ui.settings;
    let classes = move || {
        let [l, r] = ui.masks.map(|m| m.get());
        classes(l.iter().chain(r.iter()))
    };
    let brush = ui.brush;
    let fixed = move || settings.with(|s| matches!(s.threshold, Threshold::Fixed(_)));
    let seg = out.seg;
    let iou = move || seg.with(|s| s.as_ref().and_then(|s| s.iou));

    view! {
        <section
            id="segment"
            class="segment"
            aria-label="Segmentation"
            hidden=move || settings.with(|s| s.mode) != Mode::Segment
        >
            <fieldset class="group">
                <legend>"Object on the left"</legend>
                <div class="field" role="radiogroup" aria-label="Brush">
                    <label>
                        <input
                            type="radio"
                            name="brush"
                            id="brush-add"
                            prop:checked=move || !brush.get().erase
                            on:change=move |_| brush.update(|b| b.erase = false)
                        />
                        "Paint"
                    </label>
                    <label>
                        <input
                            type="radio"
                            name="brush"
                            id="brush-erase"
                            prop:checked=move || brush.get().erase
                            on:change=move |_| brush.update(|b| b.erase = true)
                        />
                        "Erase"
                    </label>
                </div>
                <div class="field">
                    <label for="brush-size">"Brush"</label>
                    <input
                        id="brush-size"
                        type="range"
                        min="1"
                        max="7"
                        step="1"
                        prop:value=move || brush.get().size.to_string()
                        on:input=move |ev| {
                            if let Ok(s) = event_target_value(&ev).parse::<usize>() {
                                brush.set(Brush { size: s.clamp(1, 7), ..brush.get_untracked() });
                            }
                        }
                    />
                    <span class="muted">
                        {move || {
                            let s = brush.get().size;
                            format!("{s}×{s} cells")
                        }}
                    </span>
                </div>
                <div class="field">
                    <FilePicker
                        id="left-mask-file"
                        label="Load mask…"
                        accept="image/png,image/*"
                        aria_label="Mask of the object in the left image (VOC palette or black/white PNG)"
                        on_file=move |f| load_mask_file(ctx, Side::Left, f)
                    />
                    <button
                        type="button"
                        id="clear-left"
                        on:click=move |_| clear_support(ctx)
                    >
                        "Clear"
                    </button>
                    <span class="muted">
                        {move || ui.masks[0].get().map(|m| format!("mask: {}", m.name))}
                    </span>
                </div>
                {move || {
                    let cl = classes();
                    (!cl.is_empty())
                        .then(|| {
                            view! {
                                <div class="field">
                                    <label for="class">"Object class"</label>
                                    <select
                                        id="class"
                                        on:change=move |ev| {
                                            if let Ok(c) = event_target_value(&ev).parse::<u8>() {
                                                settings.update(|s| s.class = Some(c));
                                            }
                                        }
                                    >
                                        {cl
                                            .into_iter()
                                            .map(|c| {
                                                view! {
                                                    <option
                                                        value=c.to_string()
                                                        prop:selected=move || settings.with(|s| s.class) == Some(c)
                                                    >
                                                        {class_name(c)}
                                                    </option>
                                                }
                                            })
                                            .collect_view()}
                                    </select>
                                </div>
                            }
                        })
                }}
            </fieldset>
            <fieldset class="group">
                <legend>"Found on the right"</legend>
                <div class="field">
                    <label for="rule">"Threshold"</label>
                    <select
                        id="rule"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            settings.update(|s| {
                                if let Some(t) = from_rule(&v, s.slider) {
                                    s.threshold = t;
                                }
                            });
                        }
                    >
                        {RULES
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <option
                                        value=r
                                        prop:selected=move || settings.with(|s| rule_name(s.threshold)) == r
                                    >
                                        {rule_label(r)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <label class="visually-hidden" for="cut">"Fixed threshold"</label>
                    <input
                        id="cut"
                        type="range"
                        min="-1"
                        max="1"
                        step="0.01"
                        prop:disabled=move || !fixed()
                        prop:value=move || settings.with(|s| s.slider).to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f32>() {
                                settings.update(|s| s.set_slider(v));
                            }
                        }
                    />
                    <span class="muted" id="cut-value">
                        {move || {
                            match (fixed(), seg.with(|s| s.as_ref().map(|s| s.cut))) {
                                (true, _) => format!("cut {:.2}", settings.with(|s| s.slider)),
                                (_, Some(c)) => format!("cut {c:.3}"),
                                (_, None) => String::new(),
                            }
                        }}
                    </span>
                </div>
                <div class="field">
                    <label for="method">"Recipe"</label>
                    <select
                        id="method"
                        on:change=move |ev| {
                            if let Ok(m) = event_target_value(&ev).parse::<Method>() {
                                // Each recipe comes with the threshold it is meant for.
                                settings.update(|s| s.set_method(m));
                            }
                        }
                    >
                        {Method::ALL
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <option value=m.name() prop:selected=move || settings.with(|s| s.method) == m>
                                        {m.name()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <FilePicker
                        id="right-mask-file"
                        label="Load ground truth…"
                        accept="image/png,image/*"
                        aria_label="Ground-truth mask of the right image (VOC palette or black/white PNG)"
                        on_file=move |f| load_mask_file(ctx, Side::Right, f)
                    />
                    <span class="muted">
                        {move || ui.masks[1].get().map(|m| format!("ground truth: {}", m.name))}
                    </span>
                </div>
                <p
                    id="iou"
                    class="iou"
                    aria-live="polite"
                    data-iou=move || iou().map(|v| format!("{v:.6}"))
                    data-rule=move || seg.with(|s| s.as_ref().map(|s| rule_name(s.threshold)))
                    data-method=move || seg.with(|s| s.as_ref().map(|s| s.method.name()))
                >
                    {move || {
                        seg.with(|s| match s {
                            Some(s) => {
                                let iou = match (s.iou, &s.iou_note) {
                                    (Some(v), _) => format!("IoU {v:.3}"),
                                    (None, Some(n)) => format!("no IoU: {n}"),
                                    (None, None) => "load the ground truth to score".into(),
                                };
                                format!(
                                    "{iou} · object {:.1}% of the image · {} · {:.0} ms",
                                    100.0 * s.area,
                                    s.method.name(),
                                    s.millis
                                )
                            }
                            None => out.seg_hint.get().unwrap_or_default(),
                        })
                    }}
                </p>
                <IouPlot/>
                <button
                    type="button"
                    class="small"
                    prop:disabled=move || seg.with(Option::is_none)
                    on:click=move |_| export::mask(ctx)
                >
                    "Download mask PNG"
                </button>
            </fieldset>
        </section>
    }
}
