-- The launcher bubble's icon (one of the SDK's `LauncherIcon` names) and how many
-- days without activity the widget keeps a visitor's conversation (0: a new
-- conversation on every page load). Existing widgets get the defaults.

ALTER TABLE widgets ADD COLUMN launcher_icon TEXT NOT NULL DEFAULT 'chat';
ALTER TABLE widgets ADD COLUMN conversation_days BIGINT NOT NULL DEFAULT 30;
