-- wrk script for benchmarks/load_submissions.py: every request POSTs a new, valid application
-- (unique applicant email per run, thread and request), and done() prints one JSON line.
-- Arguments after "--": <path> <host ids as a JSON list> <run tag>

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  path = args[1]
  hosts = args[2]
  run = args[3]
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local template = '{"name":"Load Test %d-%d","email":"load-%s-%d-%d@example.org",' ..
  '"organisation":"Odense Kommune","org_level":"municipality","municipality_code":"461",' ..
  '"learning_goal":"How to scale screen visits to the whole municipality.",' ..
  '"topics":["welfare technology"],"host_choices":%s,"weeks":["2027-W37"],"max_km":300,' ..
  '"language":"da","manager_name":"Lone Hansen","manager_email":"manager-%s-%d-%d@example.org"}'

function request()
  counter = counter + 1
  local body = string.format(template, thread_no, counter, run, thread_no, counter, hosts,
                             run, thread_no, counter)
  return wrk.format(nil, path, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
