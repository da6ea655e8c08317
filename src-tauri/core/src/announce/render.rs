//! Templates, Markdown and the per-channel renderings of a draft.
