-- wrk script: send DEPTH (first argument, default 16) GET / requests at once on each connection (HTTP/1.1 pipelining).
init = function(args)
  local depth = tonumber(args[1]) or 16
  local batch = {}
  for i = 1, depth do batch[i] = wrk.format("GET", "/") end
  req = table.concat(batch)
end

request = function()
  return req
end
