//! A button that opens a hidden file input (the one file-picker widget of the page).

use crate::ui::browser::files::first_file;
use leptos::html::Input;
use leptos::prelude::*;

/// A button labelled `label` and the visually hidden `<input type=file id=…>` it opens; each
/// chosen file goes to `on_file`.
#[component]
pub fn FilePicker(
    /// The input's id (a test hook).
    #[prop(into)]
    id: String,
    /// The button's text.
    label: &'static str,
    /// The input's `accept`.
    accept: &'static str,
    /// The input's accessible name.
    #[prop(into)]
    aria_label: String,
    /// What to do with the chosen file.
    on_file: impl Fn(web_sys::File) + 'static,
) -> impl IntoView {
    let input = NodeRef::<Input>::new();
    let on_change = move |_| {
        let Some(i) = input.get_untracked() else {
            return;
        };
        if let Some(f) = first_file(i.files()) {
            on_file(f);
        }
        // Choosing the same file again must fire `change` again.
        i.set_value("");
    };
    view! {
        <button
            type="button"
            on:click=move |_| {
                if let Some(i) = input.get_untracked() {
                    i.click();
                }
            }
        >
            {label}
        </button>
        <input
            id=id
            class="visually-hidden"
            type="file"
            tabindex="-1"
            accept=accept
            aria-label=aria_label
            node_ref=input
            on:change=on_change
        />
    }
}
