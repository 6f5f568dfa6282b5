//! The message area: errors and notes the visitor can read and dismiss; the page keeps working.

use super::state::{Ctx, Message, MsgAction, ctx};
use leptos::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

fn push(ctx: Ctx, kind: &'static str, text: String, action: Option<MsgAction>) {
    log::warn!("{kind}: {text}");
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    ctx.out.messages.update(|m| {
        // The same text twice in a row (e.g. a failing hover) is shown once.
        if m.last().is_some_and(|last| last.text == text) {
            return;
        }
        m.push(Message {
            id,
            kind,
            text,
            action,
        });
        // Keep the area short: the oldest go first.
        if m.len() > 5 {
            m.remove(0);
        }
    });
}

/// Shows an error.
pub fn error(ctx: Ctx, text: impl Into<String>) {
    push(ctx, "error", text.into(), None);
}

/// Shows a note.
pub fn info(ctx: Ctx, text: impl Into<String>) {
    push(ctx, "info", text.into(), None);
}

/// Shows an error from a device operation; on WebGPU it offers the CPU instead.
pub fn device_error(ctx: Ctx, text: impl Into<String>) {
    let on_gpu = ctx.dev.backend_kind.get_untracked() == Some("webgpu");
    let text = text.into();
    if on_gpu {
        push(
            ctx,
            "error",
            format!("The GPU failed: {text}. The CPU can take over (slower)."),
            Some(MsgAction::SwitchToCpu),
        );
    } else {
        push(ctx, "error", text, None);
    }
}

/// The visible, dismissable list of messages (`#messages`, one `.message` per entry).
#[component]
pub fn Messages() -> impl IntoView {
    let ctx = ctx();
    let dismiss = move |id: u32| ctx.out.messages.update(|m| m.retain(|x| x.id != id));
    view! {
        <div id="messages" class="messages" role="alert" aria-live="assertive">
            <For each=move || ctx.out.messages.get() key=|m| m.id let:m>
                <div class=format!("message {}", m.kind) data-kind=m.kind>
                    <span class="text">{m.text.clone()}</span>
                    {m.action.map(|a| match a {
                        MsgAction::SwitchToCpu => view! {
                            <button
                                class="action"
                                on:click=move |_| {
                                    dismiss(m.id);
                                    super::engine::switch_to_cpu(ctx);
                                }
                            >"Switch to CPU"</button>
                        },
                    })}
                    <button
                        class="dismiss"
                        aria-label="Dismiss this message"
                        title="Dismiss"
                        on:click=move |_| dismiss(m.id)
                    >"×"</button>
                </div>
            </For>
        </div>
    }
}
