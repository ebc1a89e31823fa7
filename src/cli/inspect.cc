// placeholder: replaced by nvgre inspect
