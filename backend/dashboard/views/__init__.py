"""Dashboard views: thin functions that parse a form, call a selector or service, render a template."""
