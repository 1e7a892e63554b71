"""The CLI's commands, grouped by what they are about; ``cli`` parses and dispatches."""
