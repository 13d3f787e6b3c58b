"""The tfplugin6 protocol layer. Deliberately imports nothing: start-up time is paid per launch."""
