-- transform the files loaded for {{ ds_nodash }}
SELECT COUNT(*) FROM raw_files WHERE load_date = '{{ ds }}'
