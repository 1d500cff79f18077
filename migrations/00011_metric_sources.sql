-- Two more sources of a metric's actual value (issue 12): complaints (the
-- upheld complaints about the contract) and service_requests (the hours from
-- a resident's request to its acceptance). The shipped standards named them
-- wrongly; this corrects the templates and every metric row already copied
-- from them — transfer items (published versions included: the only
-- sanctioned edit of published rows), tenders and contracts:
-- complaints_upheld from complaints, response_time from service requests,
-- and every coverage metric (code ending in _coverage) from service records.

-- +goose Up
ALTER TABLE metric_templates DROP CONSTRAINT metric_templates_source_check;
ALTER TABLE metric_templates ADD CONSTRAINT metric_templates_source_check
    CHECK (source IN ('service_records', 'resident_ratings', 'evaluator', 'complaints', 'service_requests'));
ALTER TABLE transfer_item_metrics DROP CONSTRAINT transfer_item_metrics_source_check;
ALTER TABLE transfer_item_metrics ADD CONSTRAINT transfer_item_metrics_source_check
    CHECK (source IN ('service_records', 'resident_ratings', 'evaluator', 'complaints', 'service_requests'));
ALTER TABLE tender_metrics ADD CONSTRAINT tender_metrics_source_check
    CHECK (source IN ('service_records', 'resident_ratings', 'evaluator', 'complaints', 'service_requests'));
ALTER TABLE contract_metrics ADD CONSTRAINT contract_metrics_source_check
    CHECK (source IN ('service_records', 'resident_ratings', 'evaluator', 'complaints', 'service_requests'));

ALTER TABLE transfer_item_metrics DISABLE TRIGGER transfer_item_metrics_immutable;
UPDATE metric_templates SET source = 'complaints' WHERE code = 'complaints_upheld';
UPDATE metric_templates SET source = 'service_requests' WHERE code = 'response_time';
UPDATE metric_templates SET source = 'service_records' WHERE code LIKE '%\_coverage';
UPDATE transfer_item_metrics SET source = 'complaints' WHERE code = 'complaints_upheld';
UPDATE transfer_item_metrics SET source = 'service_requests' WHERE code = 'response_time';
UPDATE transfer_item_metrics SET source = 'service_records' WHERE code LIKE '%\_coverage';
UPDATE tender_metrics SET source = 'complaints' WHERE code = 'complaints_upheld';
UPDATE tender_metrics SET source = 'service_requests' WHERE code = 'response_time';
UPDATE tender_metrics SET source = 'service_records' WHERE code LIKE '%\_coverage';
UPDATE contract_metrics SET source = 'complaints' WHERE code = 'complaints_upheld';
UPDATE contract_metrics SET source = 'service_requests' WHERE code = 'response_time';
UPDATE contract_metrics SET source = 'service_records' WHERE code LIKE '%\_coverage';
ALTER TABLE transfer_item_metrics ENABLE TRIGGER transfer_item_metrics_immutable;

-- +goose Down
ALTER TABLE transfer_item_metrics DISABLE TRIGGER transfer_item_metrics_immutable;
UPDATE metric_templates SET source = 'evaluator' WHERE source IN ('complaints') OR (code LIKE '%\_coverage' AND source = 'service_records');
UPDATE metric_templates SET source = 'service_records' WHERE source = 'service_requests';
UPDATE transfer_item_metrics SET source = 'evaluator' WHERE source IN ('complaints') OR (code LIKE '%\_coverage' AND source = 'service_records');
UPDATE transfer_item_metrics SET source = 'service_records' WHERE source = 'service_requests';
UPDATE tender_metrics SET source = 'evaluator' WHERE source IN ('complaints') OR (code LIKE '%\_coverage' AND source = 'service_records');
UPDATE tender_metrics SET source = 'service_records' WHERE source = 'service_requests';
UPDATE contract_metrics SET source = 'evaluator' WHERE source IN ('complaints') OR (code LIKE '%\_coverage' AND source = 'service_records');
UPDATE contract_metrics SET source = 'service_records' WHERE source = 'service_requests';
ALTER TABLE transfer_item_metrics ENABLE TRIGGER transfer_item_metrics_immutable;
ALTER TABLE contract_metrics DROP CONSTRAINT contract_metrics_source_check;
ALTER TABLE tender_metrics DROP CONSTRAINT tender_metrics_source_check;
ALTER TABLE transfer_item_metrics DROP CONSTRAINT transfer_item_metrics_source_check;
ALTER TABLE transfer_item_metrics ADD CONSTRAINT transfer_item_metrics_source_check CHECK (source IN ('service_records', 'resident_ratings', 'evaluator'));
ALTER TABLE metric_templates DROP CONSTRAINT metric_templates_source_check;
ALTER TABLE metric_templates ADD CONSTRAINT metric_templates_source_check CHECK (source IN ('service_records', 'resident_ratings', 'evaluator'));
