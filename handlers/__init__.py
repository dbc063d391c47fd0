"""The conversation, channel-neutral: a table of states and the handler for each."""
