-- wrk script: every request POSTs the PNG named by $E2E_PNG as a raw image/png body.
local f = assert(io.open(assert(os.getenv("E2E_PNG"), "E2E_PNG not set"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/png"
