## English. Messages are sent as Telegram HTML: only <b>, <i> and the like, no bare < or &.

start =
    Hi! Send me a photo, then pick a famous painting (or send your own picture) for its style,
    and I will repaint the photo in that style. /help tells more.
start-example = A photo, a painting, and what comes out.
help =
    <b>How it works</b>
    1. Send a photo: as a photo, or as a file (JPEG, PNG, WebP or HEIC) for full resolution.
    2. Pick a painting, or send a second image to use as the style.
    Or send both at once as an album: the photo first, the style second.
    A video, a GIF or a video note works too: it comes back painted, frame by frame.
    /styles shows the paintings, /settings sets strength, quality and colours, /cancel starts over.
styles-title = Pick a painting:
no-styles = The service has no paintings to offer right now. Send your own style image instead.
send-photo-first = Send me a photo first.
waiting-style = Got the photo. Now pick a painting below, or send an image to use as the style.
waiting-photo = Style: { $title }. Now send the photo to repaint.
waiting-style-clip = Got the clip. Now pick a painting below, or send an image to use as the style. It comes back the way you sent it.
clip-needs-instant = Clips are painted by the instant models, and that painting has none. Pick another one, or send your own painting.
clip-ready = Here it is, painted frame by frame.
clip-too-large-to-send = The painted clip is too large for Telegram to take (over 50 MB). Please try a shorter clip.
running-clip = Painting frame { $frame } of { $frames }…
cancelled = Cancelled. Send a photo whenever you like.
nothing-to-cancel = There is nothing to cancel.
stopping = Stopping…
job-not-running = That picture is not being painted any more.
not-an-image = That does not look like an image or a clip. Please send a photo (or a JPEG, PNG, WebP or HEIC file), a video or a GIF.
unsupported-image = I cannot read that image format. Please send JPEG, PNG, WebP or HEIC.
file-too-large = That file is too large (over { $mb } MB). Please send a smaller picture.
download-failed = I could not fetch your picture from Telegram. Please send it again.
album-two-images = An album needs two pictures: the photo first, then the style.
unknown-command = I do not know that command. /help lists what I can do.
busy = You already have a picture in progress. Wait for it, or press Cancel.
hourly-limit = You have made { $limit } pictures this hour, the most I can paint per hour. You can try again in { $minutes } min.
service-down = The painting service is not answering right now. Please try again in a few minutes.
service-busy = The painting service is busy. Please try again in a minute.
service-refused = The service could not take this picture: { $reason }
uploading = Sending your picture…
queued = In the queue: { $position ->
        [one] one picture
       *[other] { $position } pictures
    } ahead of yours.
running = Painting… { $percent }%
eta-seconds = About { $seconds } s left.
eta-minutes = About { $minutes } min left.
failed = Sorry, that did not work: { $reason }
job-cancelled = Stopped.
done = Done!
result-ready = Here it is.
preview-ready = A quick preview. Press "Full quality" for the full painting.
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
expired = Those pictures are no longer kept. Send the photo again, please.
error-generic = Something went wrong on my side. Please try again.
command-start = What this bot does
command-styles = The paintings to choose from
command-settings = Strength, quality, colours
command-cancel = Start over, or stop a picture
command-help = How it works
