// redegov — Zabbix webhook media type script.
//
// Sends one trigger problem or recovery event to redegov as the JSON described
// in docs/zabbix-media-type.md. Paste it into the media type's "Script" field;
// the parameters it reads are listed in that document. Zabbix runs it in its
// embedded ECMAScript 5.1 engine: no arrow functions, no template strings,
// no `let`.

var Redegov = {
    // Zabbix leaves a macro it cannot resolve as its own text (a problem
    // message has no "{EVENT.RECOVERY.TIMESTAMP}"), or writes *UNKNOWN*.
    // Either means "no value", never a value to send.
    clean: function (value) {
        if (value === undefined || value === null) {
            return '';
        }
        var text = String(value).replace(/^\s+|\s+$/g, '');
        if (text === '*UNKNOWN*' || /^\{[^{}]*\}$/.test(text)) {
            return '';
        }
        return text;
    },

    // UNIX seconds ({EVENT.TIMESTAMP}) -> RFC 3339 in UTC.
    fromEpoch: function (seconds) {
        if (!/^\d+$/.test(seconds)) {
            return '';
        }
        return new Date(parseInt(seconds, 10) * 1000).toISOString().replace('.000Z', 'Z');
    },

    // {EVENT.DATE} "2026.03.02" + {EVENT.TIME} "10:04:05" + offset "-03:00"
    // -> "2026-03-02T10:04:05-03:00". Zabbix writes those two macros in local
    // time without saying which; the offset parameter says it.
    fromLocal: function (date, time, offset) {
        var d = /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(date);
        var t = /^(\d{2}):(\d{2}):(\d{2})$/.exec(time);
        if (!d || !t) {
            return '';
        }
        if (!/^(Z|[+-]\d{2}:\d{2})$/.test(offset)) {
            throw 'parameter utc_offset must look like -03:00 (got "' + offset + '")';
        }
        return d[1] + '-' + d[2] + '-' + d[3] + 'T' + t[1] + ':' + t[2] + ':' + t[3] + offset;
    },

    // The instant from the timestamp macro when this Zabbix has it, else from
    // the local date and time with the configured offset.
    instant: function (params, timestampName, dateName, timeName) {
        var fromTimestamp = Redegov.fromEpoch(Redegov.clean(params[timestampName]));
        if (fromTimestamp !== '') {
            return fromTimestamp;
        }
        var date = Redegov.clean(params[dateName]);
        var time = Redegov.clean(params[timeName]);
        if (date === '' && time === '') {
            return '';
        }
        return Redegov.fromLocal(date, time, Redegov.clean(params.utc_offset));
    },

    // {EVENT.TAGSJSON}: [{"tag": "access_id", "value": "42"}, ...] -> {"access_id": "42", ...}
    tags: function (json) {
        var out = {};
        var list;
        try {
            list = JSON.parse(json);
        } catch (error) {
            return out;
        }
        if (!(list instanceof Array)) {
            return out;
        }
        for (var i = 0; i < list.length; i++) {
            if (list[i] && typeof list[i].tag === 'string') {
                out[list[i].tag] = list[i].value === undefined ? '' : String(list[i].value);
            }
        }
        return out;
    },

    body: function (params) {
        var resolved = Redegov.clean(params.event_value) === '0';
        var tags = Redegov.tags(Redegov.clean(params.event_tags_json));
        var accessId = Redegov.clean(params.access_id);
        if (accessId === '' && tags.access_id !== undefined) {
            accessId = Redegov.clean(tags.access_id);
        }
        var body = {
            // On a recovery, {EVENT.ID} is still the problem's id: the same key.
            event_id: Redegov.clean(params.event_id),
            status: resolved ? 'resolved' : 'problem',
            started_at: Redegov.instant(params, 'event_timestamp', 'event_date', 'event_time'),
            ended_at: resolved
                ? Redegov.instant(params, 'recovery_timestamp', 'recovery_date', 'recovery_time')
                : '',
            host: Redegov.clean(params.host),
            address: Redegov.clean(params.address),
            access_id: accessId,
            name: Redegov.clean(params.name),
            severity: Redegov.clean(params.severity),
            message: Redegov.clean(params.message),
            tags: tags
        };
        if (body.started_at === '') {
            throw 'no start time: set event_timestamp, or event_date, event_time and utc_offset';
        }
        if (resolved && body.ended_at === '') {
            throw 'no end time: set recovery_timestamp, or recovery_date, recovery_time and utc_offset';
        }
        return body;
    },

    send: function (params, body) {
        var url = Redegov.clean(params.url);
        var token = Redegov.clean(params.token);
        if (url === '' || token === '') {
            throw 'parameters url and token are required';
        }
        var request = new HttpRequest();
        var proxy = Redegov.clean(params.http_proxy);
        if (proxy !== '') {
            request.setProxy(proxy);
        }
        request.addHeader('Content-Type: application/json');
        request.addHeader('Authorization: Bearer ' + token);
        var response = request.post(url, JSON.stringify(body));
        var status = request.getStatus();
        if (status < 200 || status >= 300) {
            // Thrown: Zabbix marks the alert failed and retries it (media type
            // "Attempts"); redegov ignores a repeated delivery of the same event.
            throw 'HTTP ' + status + ': ' + String(response).substring(0, 500);
        }
    }
};

try {
    var params = JSON.parse(value);
    // Only trigger events (source 0) are outages; problem updates
    // (acknowledgements, comments) change nothing redegov keeps.
    if (Redegov.clean(params.event_source) !== '0') {
        Zabbix.log(4, '[redegov] skipped: event source ' + params.event_source + ' is not a trigger');
        return 'skipped';
    }
    if (Redegov.clean(params.event_update_status) === '1') {
        Zabbix.log(4, '[redegov] skipped: problem update of event ' + params.event_id);
        return 'skipped';
    }
    var body = Redegov.body(params);
    Redegov.send(params, body);
    Zabbix.log(4, '[redegov] sent ' + body.status + ' of event ' + body.event_id);
    return 'OK';
} catch (error) {
    Zabbix.log(3, '[redegov] failed: ' + error);
    throw 'redegov: ' + error;
}
