"""Conversations on disk (SQLite) and transcripts. Never imports textual.

For a UI (all calls are short and thread-safe; each write is committed when it returns):

    from tensorx_tui.store.conversations import Store, StoreError
    store = Store.open(settings.data_dir)

    store.list_conversations(limit=200, offset=0)  -> [ConversationSummary]  newest first, ~1 ms
    store.count_conversations()
    store.search(text, limit=100)   -> [SearchHit(conversation, snippet, highlights, message_id)]
                                       plain-text snippet + (start, end) spans; never raises on
                                       what a user types (words, "phrases", prefix*)
    store.load_conversation(id)     -> Conversation(meta, messages); .to_openai_messages()
    store.rename(id, title) / store.delete(id) / store.resolve_id(prefix)
    store.latest_conversation_id()

    conv_id = store.create_conversation(profile=, base_url=, model=, system=, params=)
    store.add_user_message(conv_id, text)          # before the request is sent
    recorder = ReplyRecorder.start(store, conv_id, model=model)   # store.recorder
    recorder.update(stream.reply)  per event; a timer calling recorder.flush_if_due()
    recorder.finish(stream.reply)                  # complete / cancelled / error / interrupted
    store.add_tool_result(conv_id, call.id, text)
    store.add_message(conv_id, msg, parent=id)     # a branch (default: the active one)
    store.set_active_leaf(conv_id, id) / store.fork(conv_id, id)   # branches (store/tree.py)
    store.update_conversation(conv_id, model=..., system=..., params=...)

    The same sequence with error handling (a failure is reported once, then saving stops for that
    conversation) is `chat.saving.ConversationLog`, driven by the conversation engine (chat/).

    from tensorx_tui.store.transcripts import export_to_file, render
    path = export_to_file(store.load_conversation(conv_id), directory_or_file, "md" | "json")
"""
