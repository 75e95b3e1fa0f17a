"""The classroom app: the six errors side by side in the browser (``sixerrors classroom``)."""
