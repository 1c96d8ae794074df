start =
    Hi! Send me a photo and I will repaint it in the style of a famous painting.
    Pick a painting from /styles or send your own picture as the style. /help tells more.
start-example = A photo, a painting, and what comes out.
help =
    <b>How it works</b>
    1. Send a photo (as a photo or as a file, JPEG, PNG, WebP or HEIC).
    2. Pick a painting, or send a second image to use as the style.
    You can also send both at once as an album: photo first, style second.
    /settings: strength, quality and colours. /styles: the paintings. /cancel: start over.
styles-title = Pick a painting:
send-photo-first = Send me a photo first, then pick a painting.
waiting-style = Got the photo. Now pick a painting below, or send an image to use as the style.
style-picked = Style: { $title }.
cancelled = Cancelled. Send a photo whenever you like.
nothing-to-cancel = There is nothing to cancel.
not-an-image = That does not look like an image. Please send a JPEG, PNG, WebP or HEIC picture.
file-too-large = That file is too large (over { $mb } MB). Please send a smaller picture.
busy = You already have a picture in progress. Wait for it, or press Cancel.
hourly-limit = You have reached { $limit } pictures this hour. You can try again in { $minutes } min.
service-down = The painting service is not answering right now. Please try again in a few minutes.
service-busy = The painting service is busy. Please try again in a minute.
service-refused = The service could not take this picture: { $reason }
queued = In the queue: { $position } ahead of you.
running = Painting… { $percent }%
eta = about { $seconds } s left
failed = Sorry, that did not work: { $reason }
job-cancelled = Stopped.
done = Done!
result-file = Full resolution, uncompressed.
settings-title =
    <b>Settings</b>
    Strength: { $strength } · Quality: { $quality } · Colours: { $colour }
strength-light = light
strength-medium = medium
strength-strong = strong
quality-fast = fast
quality-balanced = balanced
quality-best = best
colour-keep = keep the photo's
colour-style = the painting's
button-cancel = Cancel
button-again = Again, another style
button-stronger = Stronger
button-weaker = Weaker
button-full = Full quality
preview-ready = A quick preview. Press "Full quality" for the full painting.
expired = Those pictures are no longer kept. Send the photo again, please.
error-generic = Something went wrong on my side. Please try again.
