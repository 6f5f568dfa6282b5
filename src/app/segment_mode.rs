//! Segmentation mode: the object on the left (painted cells or a loaded mask), the threshold rule
//! and recipe, the ground truth of the right image and the IoU against it.
//!
//! Test hooks: `#left-mask-file`, `#right-mask-file` (mask inputs), `#class` (object class),
//! `#rule`, `#cut`, `#method`, and `#iou` whose `data-iou` is the foreground IoU (absent until
//! both a prediction and a fitting ground truth exist), with the `data-rule` and `data-method`
//! it was computed with.

use super::errors;
use super::export;
use super::fetch;
use super::images::first_file;
use super::state::{Brush, Ctx, MaskInfo, Mode, Rule, Side, ctx};
use crate::masks::read_labels;
use crate::masks::{MaskKind, VOC_CLASSES, interpret};
use crate::oneshot::Method;
use crate::segment::Threshold;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn class_name(c: u8) -> String {
    VOC_CLASSES
        .get(usize::from(c))
        .map_or_else(|| format!("class {c}"), |n| format!("{c} · {n}"))
}

/// Loads a mask for `side` (left: the object to find; right: the ground truth).
pub fn load_mask_file(ctx: Ctx, side: Side, file: web_sys::File) {
    spawn_local(async move {
        if let Err(e) = load_mask(ctx, side, file).await {
            errors::error(ctx, e);
        }
    });
}

async fn load_mask(ctx: Ctx, side: Side, file: web_sys::File) -> Result<(), String> {
    let name = file.name();
    let img = ctx.ui.images[side.index()]
        .get_untracked()
        .ok_or_else(|| format!("Open the {} image before its mask.", side.name()))?;
    let bytes = fetch::read_file(&file).await?;
    super::boot::yield_to_browser().await;
    let labels = read_labels(&bytes).map_err(|e| format!("{name}: {e}"))?;
    if labels.dimensions() != (img.width, img.height) {
        return Err(format!(
            "{name} is {}×{} but the {} image is {}×{}: a mask must match its image",
            labels.width(),
            labels.height(),
            side.name(),
            img.width,
            img.height
        ));
    }
    let (labels, kind) = interpret(labels);
    let e = ctx.engine();
    let version = e.next_id();
    // The object's class: the most frequent one of a newly loaded palette mask (the support's
    // choice wins over the ground truth's).
    if let MaskKind::Classes(c) = &kind
        && (side == Side::Left || ctx.ui.class.get_untracked().is_none())
    {
        ctx.ui.class.set(c.first().map(|x| x.0));
    }
    e.set_mask(side, Some(labels));
    ctx.ui.masks[side.index()].set(Some(MaskInfo {
        name,
        width: img.width,
        height: img.height,
        kind,
        version,
    }));
    if side == Side::Left {
        ctx.ui
            .painted
            .update(|p| *p = super::state::Painted::empty(p.grid));
    }
    ctx.ui.mode.set(Mode::Segment);
    Ok(())
}

/// The segmentation controls (shown in segmentation mode).
#[component]
pub fn SegmentControls() -> impl IntoView {
    let ctx = ctx();
    let (ui, out) = (ctx.ui, ctx.out);
    let support_input = NodeRef::<Input>::new();
    let truth_input = NodeRef::<Input>::new();
    let pick = move |side: Side, input: NodeRef<Input>| {
        move |_| {
            let Some(i) = input.get_untracked() else {
                return;
            };
            if let Some(f) = first_file(i.files()) {
                load_mask_file(ctx, side, f);
            }
            i.set_value("");
        }
    };
    let classes = move || {
        let mut all: Vec<u8> = Vec::new();
        for m in ui.masks {
            if let Some(MaskInfo {
                kind: MaskKind::Classes(c),
                ..
            }) = m.get()
            {
                all.extend(c.iter().map(|x| x.0));
            }
        }
        all.sort_unstable();
        all.dedup();
        all
    };
    let brush = ui.brush;
    let seg = out.seg;
    let iou = move || seg.with(|s| s.as_ref().and_then(|s| s.iou));

    view! {
        <section
            id="segment"
            class="segment"
            aria-label="Segmentation"
            hidden=move || ui.mode.get() != Mode::Segment
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
                    <button
                        type="button"
                        on:click=move |_| {
                            if let Some(i) = support_input.get_untracked() {
                                i.click();
                            }
                        }
                    >
                        "Load mask…"
                    </button>
                    <input
                        id="left-mask-file"
                        class="visually-hidden"
                        type="file"
                        tabindex="-1"
                        accept="image/png,image/*"
                        aria-label="Mask of the object in the left image (VOC palette or black/white PNG)"
                        node_ref=support_input
                        on:change=pick(Side::Left, support_input)
                    />
                    <button
                        type="button"
                        on:click=move |_| {
                            ui.masks[0].set(None);
                            ctx.engine().set_mask(Side::Left, None);
                            ui.painted.update(|p| *p = super::state::Painted::empty(p.grid));
                        }
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
                                                ui.class.set(Some(c));
                                            }
                                        }
                                    >
                                        {cl
                                            .into_iter()
                                            .map(|c| {
                                                view! {
                                                    <option
                                                        value=c.to_string()
                                                        prop:selected=move || ui.class.get() == Some(c)
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
                            if let Some(r) = Rule::ALL.into_iter().find(|r| r.name() == v) {
                                ui.rule.set(r);
                            }
                        }
                    >
                        {Rule::ALL
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <option value=r.name() prop:selected=move || ui.rule.get() == r>
                                        {r.label()}
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
                        prop:disabled=move || ui.rule.get() != Rule::Fixed
                        prop:value=move || ui.cut.get().to_string()
                        on:input=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f32>() {
                                ui.cut.set(v.clamp(-1.0, 1.0));
                            }
                        }
                    />
                    <span class="muted" id="cut-value">
                        {move || {
                            match (ui.rule.get(), seg.with(|s| s.as_ref().map(|s| s.cut))) {
                                (Rule::Fixed, _) => format!("cut {:.2}", ui.cut.get()),
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
                                ui.method.set(m);
                                // Each recipe comes with the threshold it is meant for.
                                match m.default_threshold() {
                                    Threshold::Fixed(v) => {
                                        ui.rule.set(Rule::Fixed);
                                        ui.cut.set(v);
                                    }
                                    Threshold::Mid => ui.rule.set(Rule::Mid),
                                    Threshold::Otsu => ui.rule.set(Rule::Otsu),
                                }
                            }
                        }
                    >
                        {Method::ALL
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <option value=m.name() prop:selected=move || ui.method.get() == m>
                                        {m.name()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <button
                        type="button"
                        on:click=move |_| {
                            if let Some(i) = truth_input.get_untracked() {
                                i.click();
                            }
                        }
                    >
                        "Load ground truth…"
                    </button>
                    <input
                        id="right-mask-file"
                        class="visually-hidden"
                        type="file"
                        tabindex="-1"
                        accept="image/png,image/*"
                        aria-label="Ground-truth mask of the right image (VOC palette or black/white PNG)"
                        node_ref=truth_input
                        on:change=pick(Side::Right, truth_input)
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
                    data-rule=move || seg.with(|s| s.as_ref().map(|s| s.rule.name()))
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
                <button
                    type="button"
                    class="small"
                    prop:disabled=move || seg.with(Option::is_none)
                    on:click=move |_| {
                        let name = ui.images[1]
                            .get_untracked()
                            .map(|i| i.name)
                            .unwrap_or_default();
                        if let Err(e) = export::mask_png(ctx, &name) {
                            errors::error(ctx, e);
                        }
                    }
                >
                    "Download mask PNG"
                </button>
            </fieldset>
        </section>
    }
}
