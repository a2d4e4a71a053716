"""Messages between cells (apiref 267-274): sending, delivery to recipients' ports, receiving, approval."""
