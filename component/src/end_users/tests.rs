//! End Users queries over summaries.
