-- An exception's standard and finding also as messages (omnictl.messages: a template key and
-- its values, JSON), so the console and the Markdown report show them in Chinese. NULL for an
-- exception no close has seen since: its English text is shown.
ALTER TABLE exception ADD COLUMN standard_msg TEXT;
ALTER TABLE exception ADD COLUMN finding_msg TEXT;
