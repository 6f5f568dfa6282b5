//! The message area: errors and notes the visitor can read and dismiss.

use crate::session::messages::Action;
use crate::ui::actions::models::switch_to_cpu;
use crate::ui::ctx::ctx;
use leptos::prelude::*;

/// The visible, dismissable list of messages (`#messages`, one `.message` per entry).
#[component]
pub fn Messages() -> impl IntoView {
    let ctx = ctx();
    let messages = ctx.out.messages;
    let dismiss = move |id: u32| messages.update(|m| m.dismiss(id));
    view! {
        <div id="messages" class="messages" role="alert" aria-live="assertive">
            <For each=move || messages.with(|m| m.list.clone()) key=|m| m.id let:m>
                <div class=format!("message {}", m.kind.name()) data-kind=m.kind.name()>
                    <span class="text">{m.text.clone()}</span>
                    {m.action.map(|a| match a {
                        Action::SwitchToCpu => view! {
                            <button
                                class="action"
                                on:click=move |_| {
                                    dismiss(m.id);
                                    switch_to_cpu(ctx);
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
