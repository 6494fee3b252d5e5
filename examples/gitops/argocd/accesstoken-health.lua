-- Argo CD health check for tokenplane.dev/AccessToken.
-- Healthy: Ready=True for the current generation. Progressing: not yet acted on, issuing or
-- rotating, or retrying. Degraded: Ready=False for a reason retrying cannot fix.
local hs = { status = "Progressing", message = "Waiting for the tokenplane operator" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local ready = nil
local issuing = nil
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then ready = c end
  if c.type == "Issuing" then issuing = c end
end
local generation = obj.metadata.generation
if ready == nil or obj.status.observedGeneration ~= generation
    or (ready.observedGeneration ~= nil and ready.observedGeneration ~= generation) then
  return hs
end
if issuing ~= nil and issuing.status == "True" then
  hs.message = issuing.message
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
local terminal = { SecretConflict = true, NamespaceNotAllowed = true, InvalidSpec = true }
if ready.status == "False" and terminal[ready.reason] then
  hs.status = "Degraded"
end
hs.message = ready.reason .. ": " .. (ready.message or "")
return hs
