-- One resident submission, as the rows ticket_submit writes in its transaction
-- (tickets/services/submit.py), written straight into the real tables: the database's own limit
-- for the ingest benchmark. Run by bench/ingest.py:
--   pgbench -n -f bench/pgbench_ingest.sql -D submitters=N -D categories=M -c C -j 2 -T S
-- bench_ingest_submitter (n = 1..N: the residents of the app run, with their home building,
-- street and contact as stored) and bench_ingest_category (n = 1..M: leaf categories repeated by
-- weight) are made by bench/ingest.py before the run and dropped after it. The bench database is
-- disposable: the audit rows here carry a stand-in hash (md5 || md5), not the chain's SHA-256.
\set s random(1, :submitters)
\set c random(1, :categories)
BEGIN;
-- the ticket's id from its sequence first: the number is made from it, so the row goes in whole
SELECT nextval(pg_get_serial_sequence('tickets_ticket', 'id')) AS ticket_id \gset
-- the ticket, with its number GR-YYYYMMDD-000123 in Beijing time
INSERT INTO tickets_ticket (
    id, number, channel, request_type, urgency, description, address, lat, lon, area_path,
    contact_name, contact_mobile, contact_mobile_digest, anonymous, submit_key, state,
    handler_path, created_at, updated_at, deadline_provisional, return_count, reopen_count,
    supervision_note, area_id, building_id, category_id, requester_id, street_id,
    submitted_by_id, attributes)
SELECT :ticket_id,
    'GR-' || to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
        || CASE WHEN :ticket_id < 1000000 THEN lpad(:ticket_id::text, 6, '0')
           ELSE :ticket_id::text END,
    'resident_app', 'help', 'normal', c.text, s.address, NULL, NULL, s.area_path,
    s.contact_name, s.contact_mobile, s.contact_mobile_digest, false,
    md5(random()::text || clock_timestamp()::text), 'submitted',
    '', now(), now(), false, 0, 0,
    '', s.building_id, s.building_id, c.id, s.user_id, s.street_id,
    s.user_id, '{}'::jsonb
FROM bench_ingest_submitter s, bench_ingest_category c
WHERE s.n = :s AND c.n = :c
RETURNING street_id AS ticket_street \gset
-- the timeline's first event
INSERT INTO tickets_ticketevent (
    kind, actor_label, created_at, note, unit_path, data, actor_id, street_id, ticket_id,
    unit_area_id, unit_department_id)
SELECT 'submitted', s.actor_label, now(), '', '', '{"channel": "resident_app"}'::jsonb,
    s.user_id, :ticket_street, :ticket_id, NULL, NULL
FROM bench_ingest_submitter s
WHERE s.n = :s;
-- the audit row: lock the chain head (core/audit.py), append, move the head
SELECT seq FROM core_auditchainhead WHERE id = 1 FOR UPDATE;
WITH entry AS (
    INSERT INTO core_auditentry (
        seq, created_at, actor_label, action, outcome, object_type, object_id, street_id, ip,
        data, prev_hash, hash, actor_id)
    SELECT h.seq + 1, now(), s.username, 'tickets.submit', 'success', 'tickets.ticket',
        t.id::text, t.street_id, '127.0.0.1',
        '{"anonymous":false,"category":"' || c.code || '","channel":"resident_app","number":"'
            || t.number || '","state":"submitted"}',
        h.hash, md5(h.hash || t.id::text) || md5(t.id::text || h.hash), s.user_id
    FROM core_auditchainhead h, tickets_ticket t, bench_ingest_submitter s,
        bench_ingest_category c
    WHERE h.id = 1 AND t.id = :ticket_id AND s.n = :s AND c.n = :c
    RETURNING seq, hash)
UPDATE core_auditchainhead h SET seq = entry.seq, hash = entry.hash FROM entry WHERE h.id = 1;
-- the requester's inbox (notify.submitted; no SMS on submission)
INSERT INTO notices_notice (kind, title, body, url, created_at, read_at, recipient_id)
SELECT 'tickets', '诉求已收到：' || t.number, '我们会尽快安排处理，进展会在这里告诉您。',
    '/m/requests/' || t.number || '/', now(), NULL, t.requester_id
FROM tickets_ticket t
WHERE t.id = :ticket_id;
COMMIT;
