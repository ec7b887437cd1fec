-- bench/api-db.lua — wrk script of bench/api-db: every request asks for the NBA games of a
-- random game day of the ingested seasons (@DAYS@ is replaced by the list of days), so that
-- requests spread over the whole table instead of repeating one answer.
local days = {@DAYS@}
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

init = function(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

request = function()
  local d = days[math.random(#days)]
  return wrk.format("GET", "/api/v1/games?sport=NBA&date=" .. d .. "&limit=50")
end
